// A lean HTTP/1.1 keep-alive client on raw sockets for the bench load generators.
import { connect, type Socket } from 'node:net';

/**
 * A lean HTTP/1.1 keep-alive client for the load generators: requests are prebuilt bytes on raw
 * sockets and a response is read only as far as its status and Content-Length (the API always
 * sends Content-Length), so the client takes as little as possible of the CPU it shares with the server and Postgres.
 */
export class LeanClient {
  private idle: Socket[] = [];
  private waiting: { bytes: Buffer; done: (status: number, body: Buffer) => void }[] = [];
  private open = 0;
  private all = new Set<Socket>();
  constructor(private host: string, private port: number, private maxSockets: number) {}

  request(bytes: Buffer, done: (status: number, body: Buffer) => void): void {
    const socket = this.idle.pop();
    if (socket) this.send(socket, bytes, done);
    else if (this.open < this.maxSockets) this.connect(bytes, done);
    else this.waiting.push({ bytes, done });
  }

  close(): void {
    for (const s of this.all) s.destroy();
  }

  private connect(bytes: Buffer, done: (status: number, body: Buffer) => void): void {
    this.open += 1;
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.all.add(socket);
    const fail = () => {
      this.open -= 1;
      this.all.delete(socket);
      this.idle = this.idle.filter((s) => s !== socket);
      const current = (socket as Socket & { current?: (status: number, body: Buffer) => void }).current;
      if (current) current(0, Buffer.alloc(0));
    };
    socket.once('error', fail);
    socket.once('close', () => {
      if (this.all.has(socket)) fail();
    });
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const total = end + 4 + (length ? Number(length[1]) : 0);
        if (pending.length < total) return;
        const body = pending.subarray(end + 4, total);
        pending = pending.subarray(total);
        const status = Number(head.slice(9, 12));
        const s = socket as Socket & { current?: (status: number, body: Buffer) => void };
        const finished = s.current;
        s.current = undefined;
        const next = this.waiting.shift();
        if (next) this.send(socket, next.bytes, next.done);
        else this.idle.push(socket);
        finished?.(status, body);
      }
    });
    this.send(socket, bytes, done);
  }

  private send(socket: Socket, bytes: Buffer, done: (status: number, body: Buffer) => void): void {
    (socket as Socket & { current?: (status: number, body: Buffer) => void }).current = done;
    socket.write(bytes);
  }
}

/** One POST of a JSON body with a bearer token, through `client`. */
export function post(client: LeanClient, host: string, path: string, token: string, body: string, extraHeaders = ''): Promise<{ status: number; body: Buffer }> {
  const bytes = Buffer.from(
    `POST ${path} HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\n${extraHeaders}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return new Promise((resolve) => client.request(bytes, (status, b) => resolve({ status, body: b })));
}

export interface Target {
  host: string;
  client: LeanClient;
}

/** A client per server URL, each with up to `socketsEach` keep-alive sockets. */
export function targetsFor(urls: string[], socketsEach: number): Target[] {
  return urls.map((url) => {
    const u = new URL(url);
    return { host: u.host, client: new LeanClient(u.hostname, Number(u.port), socketsEach) };
  });
}
