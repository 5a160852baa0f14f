/*
 * The pool's actions as last listed. The registered scaffolder actions read their schemas
 * from here, so a refresh updates them in place; an action the pool stops listing keeps
 * its last known definition (running it then fails with the pool's UnknownActionError).
 */
import type { PoolAction } from '../pool/types';

export interface CatalogChange {
  /** Listed now, not before: scaffolder actions cannot be added after start-up. */
  added: string[];
  /** Listed before, not now. */
  removed: string[];
  /** Listed both times, with another definition. */
  changed: string[];
}

export class PoolActionCatalog {
  private readonly known = new Map<string, PoolAction>();
  private listed = new Set<string>();

  get(id: string): PoolAction | undefined {
    return this.known.get(id);
  }

  /** The ids of the latest listing, in its order. */
  ids(): string[] {
    return [...this.listed];
  }

  /** Takes a new listing; answers how it differs from the one before. */
  update(listing: PoolAction[]): CatalogChange {
    const change: CatalogChange = { added: [], removed: [], changed: [] };
    const next = new Set(listing.map(action => action.id));
    for (const action of listing) {
      const before = this.known.get(action.id);
      if (!this.listed.has(action.id)) {
        change.added.push(action.id);
      } else if (before && JSON.stringify(before) !== JSON.stringify(action)) {
        change.changed.push(action.id);
      }
      this.known.set(action.id, action);
    }
    change.removed = [...this.listed].filter(id => !next.has(id));
    this.listed = next;
    return change;
  }
}
