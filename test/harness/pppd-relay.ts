import net from 'node:net';

/**
 * socat connects the line as soon as UML starts, but on a loaded machine pppd may start more
 * than LCP's 10 Configure-Requests (30 s) later. This relay connects to dialtone only when
 * pppd's first byte arrives, so a slow boot cannot fail LCP.
 */
export function relayWhenPppdSpeaks(target: number): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((line) => {
    line.once('data', (first) => {
      line.pause();
      const isp = net.connect(target, '127.0.0.1', () => {
        isp.write(first);
        line.pipe(isp);
        isp.pipe(line);
        line.resume();
      });
      const end = () => { line.destroy(); isp.destroy(); };
      isp.on('error', end);
      isp.on('close', end);
      line.on('close', end);
    });
    line.on('error', () => line.destroy());
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close() })));
}
