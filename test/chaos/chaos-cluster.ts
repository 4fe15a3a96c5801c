/**
 * The five members of a scenario, each a real `sessionmesh start` process in its own network
 * namespace, with fixed addresses (slot m1..m5 keeps its peer and HTTP address across restarts,
 * so seeds and clients never need to learn new ones; a restarted process is a new member id).
 * Members preload parent-watch: they exit when the scenario process is gone, whatever killed it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getStatus, startMember, type MemberProcess } from '../helpers/cluster.js';
import { killAll } from '../helpers/started-process.js';
import { TEST_API_TOKEN } from '../helpers/session-client.js';
import { quietTable } from '../../bench/lib/mesh.js';
import { partitionOf } from '../../src/placement/index.js';
import type { NodeStatus } from '../../src/node/status.js';
import { PEER_PORT, type MemberSlot } from './topology.js';
import type { ModeSpec } from './scenario-types.js';
import { sleep } from './shell.js';

export const HTTP_PORT = 8400;
const START_TIMEOUT_MS = 15_000;
/** A graceful stop can take leaveTimeoutMs (20 s default) + drain; past this it is a finding, and we kill. */
const GRACEFUL_STOP_TIMEOUT_MS = 40_000;
/** The table must not change for this long to count as settled (no rebalancing in flight). */
const SETTLE_QUIET_MS = 1000;
const STATUS_TIMEOUT_MS = 1500;

export class ChaosCluster {
  /** The running process of each slot (absent while killed or stopped). */
  readonly running = new Map<string, MemberProcess>();
  readonly paused = new Set<string>();
  /** Every process ever started, for the logs. */
  private readonly all: MemberProcess[] = [];

  constructor(
    readonly slots: readonly MemberSlot[],
    private readonly mode: ModeSpec,
  ) {}

  httpAddress(slot: MemberSlot): string {
    return `${slot.address}:${HTTP_PORT}`;
  }

  slot(name: string): MemberSlot {
    const s = this.slots.find((x) => x.name === name);
    if (!s) throw new Error(`no member slot ${name}`);
    return s;
  }

  async start(name: string): Promise<MemberProcess> {
    if (this.running.has(name)) throw new Error(`${name} is already running`);
    const slot = this.slot(name);
    const m = await startMember({
      name,
      netns: slot.netns,
      port: PEER_PORT,
      seeds: this.slots.filter((s) => s !== slot).map((s) => `${s.address}:${PEER_PORT}`),
      parentWatch: true,
      // Later flags win over startMember's own (--http-port 0, --log-level debug).
      extraArgs: [
        '--host', slot.address,
        '--http-port', String(HTTP_PORT),
        '--api-token', TEST_API_TOKEN,
        '--replicas', String(this.mode.replicas),
        '--ack', this.mode.ack,
        '--quorum', this.mode.quorum,
        '--log-level', 'info',
      ],
    });
    this.all.push(m);
    this.running.set(name, m);
    void m.exited.then(() => {
      if (this.running.get(name) === m) this.running.delete(name);
    });
    return m;
  }

  /** First member alone, then the others in parallel (each has every other address as a seed). */
  async startAll(): Promise<void> {
    const [first, ...rest] = this.slots;
    await this.start(first!.name);
    await Promise.all(rest.map((s) => this.start(s.name)));
  }

  async kill9(name: string): Promise<void> {
    const m = this.running.get(name);
    if (!m) return;
    this.paused.delete(name);
    m.child.kill('SIGKILL');
    await m.exited;
  }

  pause(name: string): void {
    this.running.get(name)?.child.kill('SIGSTOP');
    this.paused.add(name);
  }

  resume(name: string): void {
    this.running.get(name)?.child.kill('SIGCONT');
    this.paused.delete(name);
  }

  /** SIGTERM (graceful leave) and wait for the exit; returns how long it took, or throws after the bound (killed then). */
  async stopGracefully(name: string): Promise<number> {
    const m = this.running.get(name);
    if (!m) return 0;
    const startMs = performance.now();
    m.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const overran = await Promise.race([m.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), GRACEFUL_STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (overran) {
      m.child.kill('SIGKILL');
      await m.exited;
      throw new Error(`${name} did not exit within ${GRACEFUL_STOP_TIMEOUT_MS} ms of SIGTERM (killed)`);
    }
    return performance.now() - startMs;
  }

  status(name: string): Promise<NodeStatus> {
    const m = this.running.get(name);
    if (!m) return Promise.reject(new Error(`${name} is not running`));
    return getStatus(m, STATUS_TIMEOUT_MS);
  }

  /** The member (slot name) that is the session's primary in the first answering member's table, if known. */
  async primaryOf(sessionId: string): Promise<string | undefined> {
    for (const name of this.running.keys()) {
      if (this.paused.has(name)) continue;
      try {
        const s = await this.status(name);
        const p = s.partitions;
        if (!p) continue;
        const id = p.owners[partitionOf(sessionId, p.count)]?.[0];
        return s.members.find((m) => m.id === id)?.name;
      } catch {
        // ask the next one
      }
    }
    return undefined;
  }

  /**
   * Waits until every running member sees exactly the running members alive, one committed
   * table at one epoch with `replicas` copies of every partition and nothing moving, unchanged
   * for SETTLE_QUIET_MS. Returns the time it took; throws with the last observation past the bound.
   */
  async waitSettled(timeoutMs: number): Promise<number> {
    const startMs = performance.now();
    const quiet = quietTable(SETTLE_QUIET_MS);
    let last = 'no observation yet';
    for (;;) {
      const names = [...this.running.keys()].filter((n) => !this.paused.has(n));
      const ids = new Set(names.map((n) => this.running.get(n)!.id));
      const copies = Math.min(this.mode.replicas, ids.size);
      let ready = names.length > 0;
      let epoch = -1;
      try {
        const all = await Promise.all(names.map((n) => this.status(n)));
        for (const s of all) {
          const alive = s.members.filter((m) => m.state === 'alive' && m.role === 'member').map((m) => m.id);
          const p = s.partitions;
          const sameMembers = alive.length === ids.size && alive.every((id) => ids.has(id));
          const full = p !== null && p.moving === 0 && p.owners.every((row) => row.length === copies && row.every((id) => ids.has(id)));
          if (!sameMembers || !full || (epoch !== -1 && p!.epoch !== epoch)) {
            ready = false;
            last = `${s.self.name}: alive ${alive.length}/${ids.size}${sameMembers ? '' : ' (other ids)'}, table ${p ? `epoch ${p.epoch} moving ${p.moving}${full ? '' : ' incomplete'}` : 'none'}`;
          }
          epoch = p?.epoch ?? -1;
        }
      } catch (err) {
        ready = false;
        last = (err as Error).message;
      }
      if (quiet(ready, epoch)) return performance.now() - startMs;
      if (performance.now() - startMs > timeoutMs) throw new Error(`cluster not settled after ${timeoutMs} ms: ${last}`);
      await sleep(200);
    }
  }

  /** Kills every member (SIGKILL also ends a stopped process). */
  async killAll(): Promise<void> {
    this.paused.clear();
    await killAll(this.all);
    this.running.clear();
  }

  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    this.all.forEach((m, i) => writeFileSync(join(dir, `${m.name}.${i}.log`), `${m.output.join('\n')}\n`));
  }
}
