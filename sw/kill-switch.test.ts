import { describe, expect, it } from 'vitest';
import type { BroadcastMessage } from '../protocol/index.js';
import { killSwitch } from './kill-switch.js';
import { emptyAsset, ManifestOrigin, MemoryMeta } from './manifest-fixture.test-helper.js';
import { ManifestSource } from './manifest-source.js';

function standDown() {
  const sent: BroadcastMessage[] = [];
  let unregistered = 0;
  const listener = killSwitch({
    broadcast: (message) => sent.push(message),
    unregister: async () => {
      unregistered += 1;
      throw new Error('already gone');
    },
  });
  return { listener, sent, unregistered: () => unregistered };
}

describe('killSwitch', () => {
  it('tells every tab and unregisters when the root is disabled, never otherwise', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    const { listener, sent, unregistered } = standDown();
    source.onChange(listener);
    await source.refresh();
    await source.settled();
    expect(sent).toEqual([]);
    expect(unregistered()).toBe(0);

    await origin.release([emptyAsset('/a.txt')], { disabled: true });
    await source.refresh();
    // A failing unregister (already unregistered) is not an error.
    await source.settled();
    expect(sent).toEqual([{ type: 'pc:disable' }]);
    expect(unregistered()).toBe(1);
    expect(await source.resolve('/a.txt')).toBeUndefined();
  });

  it('stands down at start from a saved disabled root, before any network', async () => {
    const origin = await ManifestOrigin.publish([], { disabled: true });
    const meta = new MemoryMeta();
    meta.values.set('manifest-root', { root: origin.files.root, etag: null });
    origin.down = true;
    const source = new ManifestSource(async () => meta, origin.fetch);
    const { listener, sent } = standDown();
    source.onChange(listener);
    expect((await source.root())?.disabled).toBe(true);
    expect(sent).toEqual([{ type: 'pc:disable' }]);
  });
});
