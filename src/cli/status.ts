import { parseAddress, formatAddress } from '../transport/address.js';
import type { NodeStatus } from '../node/status.js';
import { formatTable } from './table.js';
import { UsageError } from './args.js';

export async function fetchStatus(http: string, timeoutMs = 5000): Promise<NodeStatus> {
  let url: string;
  if (/^https?:\/\//.test(http)) url = new URL('/status', http).toString();
  else {
    let a;
    try {
      a = parseAddress(http);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    url = `http://${formatAddress(a)}/status`;
  }
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as NodeStatus;
}

export function renderStatus(s: NodeStatus): string {
  const counts = new Map<string, number>();
  for (const m of s.members) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const head = `cluster ${s.cluster}, seen from ${s.self.name} (${s.self.id})${s.joined ? '' : ' [not joined yet]'}: ${summary}`;
  const primaries = new Map<string, number>();
  const copies = new Map<string, number>();
  for (const row of s.partitions?.owners ?? []) {
    if (row[0] !== undefined) primaries.set(row[0], (primaries.get(row[0]) ?? 0) + 1);
    for (const id of row) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  const rows = s.members.map((m) => [
    m.id === s.self.id ? `${m.name} *` : m.name,
    m.id,
    m.address,
    m.httpAddress ?? '-',
    m.state,
    String(m.incarnation),
    m.role,
    m.zone ?? '-',
    String(primaries.get(m.id) ?? 0),
    String(copies.get(m.id) ?? 0),
  ]);
  const table = s.partitions
    ? `partition table epoch ${s.partitions.epoch}, ${s.partitions.count} partitions${s.partitions.moving > 0 ? ` (${s.partitions.moving} moving)` : ''}; sessions held here: ${s.sessions.primary} primary, ${s.sessions.backup} backup`
    : 'no partition table yet';
  return `${head}\n${table}\n${formatTable(['NAME', 'ID', 'PEER', 'HTTP', 'STATE', 'INC', 'ROLE', 'ZONE', 'PRIMARY', 'COPIES'], rows)}`;
}
