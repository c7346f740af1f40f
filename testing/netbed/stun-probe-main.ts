import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { type BindingResponse, bindingRequest, parseBindingResponse } from './stun-message.js';
import {
  STUN_PROBE_REPORT_PREFIX,
  type StunProbeAnswer,
  type StunProbeReport,
  type StunProbeRequest,
  type StunProbeTarget,
} from './stun-probe-protocol.js';

/**
 * Runs inside a namespace: sends STUN Binding requests from one UDP socket to each target in
 * turn and prints a StunProbeReport line. Usage: stun-probe-main.ts '<StunProbeRequest JSON>'
 */

const RETRANSMIT_MS = 200;

const request = JSON.parse(process.argv[2] ?? '{}') as StunProbeRequest;
const socket = createSocket('udp4');

function ask(target: StunProbeTarget): Promise<StunProbeAnswer> {
  const transactionId = randomBytes(12);
  const message = bindingRequest(transactionId, { changeIpAndPort: target.changeIpAndPort });
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (
      response: BindingResponse | null,
      from: { ip: string; port: number } | null,
    ) => {
      clearInterval(resend);
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve({
        target,
        mapped: response?.mapped ?? null,
        from,
        otherAddress: response?.otherAddress ?? null,
        rttMs: response ? Math.round(performance.now() - started) : null,
      });
    };
    const onMessage = (data: Buffer, rinfo: { address: string; port: number }) => {
      const response = parseBindingResponse(data, transactionId);
      if (response) finish(response, { ip: rinfo.address, port: rinfo.port });
    };
    const send = () => socket.send(message, target.port, target.ip);
    socket.on('message', onMessage);
    const resend = setInterval(send, RETRANSMIT_MS);
    const timer = setTimeout(() => finish(null, null), request.timeoutMs);
    send();
  });
}

socket.bind(0, () => {
  void (async () => {
    const answers: StunProbeAnswer[] = [];
    for (const target of request.targets) answers.push(await ask(target));
    const report: StunProbeReport = {
      local: { ip: '0.0.0.0', port: socket.address().port },
      answers,
    };
    process.stdout.write(`${STUN_PROBE_REPORT_PREFIX}${JSON.stringify(report)}\n`);
    socket.close();
  })();
});
