/** A TCP or TLS connection (ALPN h2 for TLS) that fails with a `TimeoutError` when it is not up within `timeoutMs`. */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export function connectWithTimeout(authority: URL, timeoutMs: number): Socket {
  const host = authority.hostname.replace(/^\[|\]$/g, '');
  const secure = authority.protocol === 'https:';
  const port = Number(authority.port || (secure ? 443 : 80));
  const socket: Socket = secure
    ? tlsConnect({ host, port, ALPNProtocols: ['h2'], ...(isIP(host) ? {} : { servername: host }) })
    : netConnect({ host, port });
  const timer = setTimeout(
    () => socket.destroy(Object.assign(new Error(`connecting to ${authority.host} took over ${timeoutMs} ms`), { name: 'TimeoutError' })),
    timeoutMs,
  );
  socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
  return socket;
}
