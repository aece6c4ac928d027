// Inside the client's network namespace: 127.0.0.1:443 → the unix socket the test bridges to the plane's HTTPS
// port. TCP only, so TLS runs end to end between the unmodified client and the plane. Args: socket path, ready file.
import { connect, createServer } from 'node:net';
import { writeFileSync } from 'node:fs';

const [socketPath, readyFile] = process.argv.slice(2);
createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}).listen(443, '127.0.0.1', () => writeFileSync(readyFile, 'ready\n'));
