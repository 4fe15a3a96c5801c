/**
 * A minimal authoritative DNS server on 127.0.0.1 for tests: answers SRV queries for one name
 * from a list the test updates, and NXDOMAIN-free empty answers for everything else. Enough for
 * node's c-ares resolver (resolveSrv/resolve4/resolve6) to exercise real DNS discovery.
 */
import dgram from 'node:dgram';

export interface SrvTarget {
  host: string;
  port: number;
}

export class TestDnsServer {
  private readonly socket = dgram.createSocket('udp4');
  readonly targets: SrvTarget[] = [];
  queries = 0;

  constructor(readonly srvName: string) {}

  async start(): Promise<string> {
    this.socket.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) this.socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', () => resolve()));
    return `127.0.0.1:${this.socket.address().port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(q: Buffer): Buffer | null {
    if (q.length < 12) return null;
    this.queries++;
    // Question: labels, then qtype and qclass.
    let i = 12;
    const labels: string[] = [];
    while (i < q.length && q[i] !== 0) {
      const len = q[i]!;
      labels.push(q.subarray(i + 1, i + 1 + len).toString('ascii'));
      i += 1 + len;
    }
    i += 1;
    if (i + 4 > q.length) return null;
    const qtype = q.readUInt16BE(i);
    const question = q.subarray(12, i + 4);
    const name = labels.join('.').toLowerCase();
    const answers: Buffer[] = [];
    if (qtype === 33 && name === this.srvName.toLowerCase()) {
      for (const t of this.targets) {
        const target = encodeName(t.host);
        const rdata = Buffer.alloc(6 + target.length);
        rdata.writeUInt16BE(0, 0); // priority
        rdata.writeUInt16BE(0, 2); // weight
        rdata.writeUInt16BE(t.port, 4);
        target.copy(rdata, 6);
        const rr = Buffer.alloc(12);
        rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
        rr.writeUInt16BE(33, 2);
        rr.writeUInt16BE(1, 4);
        rr.writeUInt32BE(1, 6); // ttl 1 s
        rr.writeUInt16BE(rdata.length, 10);
        answers.push(rr, rdata);
      }
    }
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100), 2); // response, authoritative, copy RD
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(qtype === 33 && name === this.srvName.toLowerCase() ? this.targets.length : 0, 6);
    return Buffer.concat([header, question, ...answers]);
  }
}

function encodeName(host: string): Buffer {
  const parts = host.split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}
