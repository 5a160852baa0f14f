import type { PoolAction } from '../pool/types';
import { PoolActionCatalog } from './catalog';

function action(id: string, description = 'd'): PoolAction {
  return {
    id,
    description,
    examples: [],
    schema: { input: { type: 'object' }, output: { type: 'object' } },
    supportsDryRun: false,
    timeoutS: 60,
    softTimeoutS: 50,
    maxAttempts: 1,
    queue: 'default',
  };
}

describe('PoolActionCatalog', () => {
  it('tells what a listing added, removed and changed', () => {
    const catalog = new PoolActionCatalog();
    expect(catalog.update([action('a:a'), action('b:b')])).toEqual({
      added: ['a:a', 'b:b'],
      removed: [],
      changed: [],
    });
    expect(catalog.update([action('a:a', 'new'), action('c:c')])).toEqual({
      added: ['c:c'],
      removed: ['b:b'],
      changed: ['a:a'],
    });
    expect(catalog.ids()).toEqual(['a:a', 'c:c']);
    expect(catalog.get('a:a')?.description).toBe('new');
  });

  it('keeps the last definition of an action the pool stopped listing', () => {
    const catalog = new PoolActionCatalog();
    catalog.update([action('a:a', 'kept')]);
    catalog.update([]);
    expect(catalog.get('a:a')?.description).toBe('kept');
  });
});
