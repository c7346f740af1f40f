export const USAGE = `Usage: peerconnect <command> [options]

Commands:
  build <site-dir>   Hash the site's static assets into <site-dir>/peerconnect/manifest.json
                     and its shards (peerconnect/shards/, the last three releases kept)
  serve <site-dir>   Serve the site with PeerConnect: files, manifest, bundles, signaling;
                     rebuilds the manifest live when the site changes
  serve --signal-only
                     Serve only signaling (and STUN, healthz, metrics, beacons) for a
                     site served elsewhere
  help               Show this help

Options for build and serve:
  --exclude <glob>              Never share these files (private content): left out of the
                                manifest, served by the origin only. Repeatable; 'account/**'
                                from the site root, '*.private.jpg' in any directory

Options for serve:
  --port <n>                    Port to listen on (default 8080; 0 picks a free one)
  --host <address>              Address to listen on (default 127.0.0.1)
  --no-inject                   Do not add the agent's script tag to HTML pages
  --first-visit bootstrap|off   Answer a browser's first navigation with a page that
                                installs the service worker and reloads (default bootstrap)
  --admin-token <token>         Require this token for /peerconnect/metrics and the dashboard
                                (Authorization: Bearer, or the one-time login link printed)
  --allowed-origins <origins>   Comma-separated origins of other sites whose pages use this
                                server: signaling (pages of any other origin are refused)
                                and stats beacons. --allow-origin <origin> adds one
  --stun-port <n>               UDP port of the built-in STUN server, on --host (default
                                3478; 0 turns it off). Visitors are told stun:<the host
                                they loaded the page from>:<n>
  --ice-servers <urls|file>     Tell visitors these ICE servers instead of the built-in
                                STUN server: comma-separated stun:/stuns: URLs, or a JSON
                                file holding an RTCIceServer[] (TURN with credentials too);
                                the built-in STUN server then runs only with --stun-port
  --turn-secret <secret>        Give each visitor fresh TURN credentials (valid 12 hours)
                                made with this secret, as coturn's use-auth-secret
                                expects (its static-auth-secret); needs --turn-url
  --turn-url <urls>             The relay's comma-separated turn:/turns: URLs, e.g.
                                turn:turn.example.com:3478?transport=udp
  --tls-cert <pem>              Serve HTTPS (signaling over wss) with this certificate
                                (chain) file; needs --tls-key
  --tls-key <pem>               The certificate's private key file
  --trust-proxy <addresses>     Believe X-Forwarded-For/-Proto only from connections of
                                these comma-separated IPs or CIDR blocks ('loopback' for
                                127.0.0.0/8 and ::1), e.g. a TLS-terminating proxy; without
                                it every visitor behind a proxy counts as the proxy's
                                address for signaling's per-address caps
  --redis <redis://host:port>   Share swarms with the other serve nodes on this Redis, so
                                visitors on different nodes behind one load balancer find
                                and signal each other (no sticky sessions needed)
  --signal-only                 No site: signaling, STUN, healthz, metrics and beacons only
  --signal-url <ws(s)://url>    Pages use the signaling server at this URL (one run with
                                --signal-only), not this server's
  --disable                     Kill switch: publish the manifest disabled (visitors'
                                workers pass through and unregister), pages without agent
  --min-swarm <n>               Other peers a visitor's swarm needs before anyone learns
                                who holds what (1..1000, default 1)
  --require-consent             P2P waits for the page to call peerconnect.optIn()
  --upload-budget <size>        Bytes a visitor uploads per browser session (default 50MB;
                                sizes like 50MB, 512KiB; 0 = no uploads)
  --upload-rate <size>/s        Upload cap per visitor, all peers together (default none)
  --upload-peer-rate <size>/s   Upload cap per visitor to any one peer (default none)
  --allow-cellular-uploads      Upload on cellular connections too (default: not)

Global options:
  -h, --help                    Show this help
  -v, --version                 Print the version
`;
