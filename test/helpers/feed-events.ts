import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { feedChannels } from '../../feeds/index.js';

/** Everything one partner's feed publishes on the diagnostics channels, as a test sees it. */
export class FeedEvents {
  readonly states: string[] = [];
  readonly errors: { code: string; root: string; detail: string }[] = [];
  readonly gaps: { pair: string; expected: number; got: number }[] = [];
  readonly stale: { pair: string; stale: boolean }[] = [];
  readonly #subs: [string, (m: any) => void][];

  constructor(readonly partner: string) {
    const mine = (fn: (m: any) => void) => (m: any) => m.partner === partner && fn(m);
    this.#subs = [
      [feedChannels.state.name as string, mine((m) => this.states.push(m.state))],
      [feedChannels.error.name as string, mine((m) => this.errors.push({ code: m.code, root: m.root, detail: m.detail }))],
      [feedChannels.gap.name as string, mine((m) => this.gaps.push({ pair: m.pair, expected: m.expected, got: m.got }))],
      [feedChannels.stale.name as string, mine((m) => this.stale.push({ pair: m.pair, stale: m.stale }))],
    ];
    for (const [name, fn] of this.#subs) subscribe(name, fn);
  }

  count(code: string): number {
    return this.errors.filter((e) => e.code === code).length;
  }

  close(): void {
    for (const [name, fn] of this.#subs) unsubscribe(name, fn);
  }
}
