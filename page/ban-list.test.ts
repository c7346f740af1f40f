import { describe, expect, it } from 'vitest';
import { BanList } from './ban-list.js';

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('BanList', () => {
  it('keeps bans across instances sharing a storage (a navigation of the leader tab)', () => {
    const storage = new MemoryStorage();
    new BanList(storage).add('AAAAAAAAAAAAAAAA');
    const next = new BanList(storage);
    expect(next.has('AAAAAAAAAAAAAAAA')).toBe(true);
    expect(next.has('BBBBBBBBBBBBBBBB')).toBe(false);
  });

  it('ignores a damaged stored list', () => {
    const storage = new MemoryStorage();
    storage.setItem('peerconnect:banned', '{not json');
    expect(new BanList(storage).has('x')).toBe(false);
    storage.setItem('peerconnect:banned', JSON.stringify([1, 'ok', null]));
    const list = new BanList(storage);
    expect(list.has('ok')).toBe(true);
  });

  it('keeps the most recent 256 bans', () => {
    const storage = new MemoryStorage();
    const list = new BanList(storage);
    for (let i = 0; i < 300; i++) list.add(`peer-${i}`);
    const reloaded = new BanList(storage);
    expect(reloaded.has('peer-299')).toBe(true);
    expect(reloaded.has('peer-44')).toBe(true);
    expect(reloaded.has('peer-43')).toBe(false);
  });

  it('works without storage', () => {
    const list = new BanList(undefined);
    list.add('x');
    expect(list.has('x')).toBe(true);
  });
});
