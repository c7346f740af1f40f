import { afterEach, describe, expect, it, vi } from 'vitest';
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

/** The tab's sessionStorage (Node has none): what a BanList reads and writes. */
function sessionStorageOfThisTab(): MemoryStorage {
  const storage = new MemoryStorage();
  vi.stubGlobal('sessionStorage', storage);
  return storage;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('BanList', () => {
  it('keeps bans across instances sharing a storage (a navigation of the leader tab)', () => {
    sessionStorageOfThisTab();
    new BanList().add('AAAAAAAAAAAAAAAA');
    const next = new BanList();
    expect(next.has('AAAAAAAAAAAAAAAA')).toBe(true);
    expect(next.has('BBBBBBBBBBBBBBBB')).toBe(false);
  });

  it('ignores a damaged stored list', () => {
    const storage = sessionStorageOfThisTab();
    storage.setItem('peerconnect:banned', '{not json');
    expect(new BanList().has('x')).toBe(false);
    storage.setItem('peerconnect:banned', JSON.stringify([1, 'ok', null]));
    const list = new BanList();
    expect(list.has('ok')).toBe(true);
  });

  it('keeps the most recent 256 bans', () => {
    sessionStorageOfThisTab();
    const list = new BanList();
    for (let i = 0; i < 300; i++) list.add(`peer-${i}`);
    const reloaded = new BanList();
    expect(reloaded.has('peer-299')).toBe(true);
    expect(reloaded.has('peer-44')).toBe(true);
    expect(reloaded.has('peer-43')).toBe(false);
  });

  it('works without storage', () => {
    const list = new BanList();
    list.add('x');
    expect(list.has('x')).toBe(true);
  });

  it('works when storage throws (blocked by the browser)', () => {
    vi.stubGlobal('sessionStorage', {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('SecurityError');
      },
    });
    const list = new BanList();
    list.add('x');
    expect(list.has('x')).toBe(true);
  });
});
