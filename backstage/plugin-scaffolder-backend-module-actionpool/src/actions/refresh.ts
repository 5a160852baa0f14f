/*
 * Refreshing the catalog from the pool every interval, until the plugin shuts down.
 */
import type {
  LifecycleService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { describeError } from '../pool/errors';

export interface RefreshOptions {
  intervalMs: number;
  refresh: () => Promise<void>;
  lifecycle: LifecycleService;
  logger: LoggerService;
}

/** Calls `refresh` every interval, one call at a time; a failure is logged, not thrown. */
class Refresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: RefreshOptions) {}

  schedule(): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      await this.options.refresh();
    } catch (error) {
      this.options.logger.warn(
        `Could not refresh the actionpool's actions: ${describeError(error)}`,
      );
    }
    this.schedule();
  }
}

/** Refreshes every `intervalMs` (0: never) until the plugin shuts down. */
export function startRefreshing(options: RefreshOptions): void {
  if (options.intervalMs <= 0) {
    return;
  }
  const refresher = new Refresher(options);
  refresher.schedule();
  options.lifecycle.addShutdownHook(() => refresher.stop());
}
