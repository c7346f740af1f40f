export const USAGE = `Usage: peerconnect <command> [options]

Commands:
  build <site-dir>   Hash the site's static assets into <site-dir>/peerconnect/manifest.json
  serve <site-dir>   Serve the site with PeerConnect: files, manifest, bundles, signaling
  help               Show this help

Options for serve:
  --port <n>                    Port to listen on (default 8080; 0 picks a free one)
  --host <address>              Address to listen on (default 127.0.0.1)
  --no-inject                   Do not add the agent's script tag to HTML pages
  --first-visit bootstrap|off   Answer a browser's first navigation with a page that
                                installs the service worker and reloads (default bootstrap)
  --admin-token <token>         Require this token for /peerconnect/metrics and the dashboard
                                (Authorization: Bearer, or the one-time login link printed)
  --allow-origin <origin>       Also accept stats beacons from pages of this origin (repeatable)
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
                                127.0.0.0/8 and ::1), e.g. a TLS-terminating proxy

Global options:
  -h, --help                    Show this help
  -v, --version                 Print the version
`;
