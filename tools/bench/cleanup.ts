export interface CleanupStep {
  /** Runs the step now, unless it already ran. */
  run(): Promise<void>;
  /** Forgets the step without running it. */
  dismiss(): void;
}

/**
 * What the bench must undo however it ends: servers to stop, a load run to abort, temporary
 * folders to remove. Each step is registered as it is taken and run last-in first-out, once.
 */
export class Cleanup {
  private readonly steps: { name: string; run: () => void | Promise<void> }[] = [];

  /** Registers a step; the handle runs it early (once) or drops it when it is no longer needed. */
  add(name: string, run: () => void | Promise<void>): CleanupStep {
    const step = { name, run };
    this.steps.push(step);
    const unregister = (): boolean => {
      const at = this.steps.indexOf(step);
      if (at < 0) return false;
      this.steps.splice(at, 1);
      return true;
    };
    return {
      run: async () => {
        if (unregister()) await step.run();
      },
      dismiss: () => {
        unregister();
      },
    };
  }

  private aborted = false;

  /** From now on `throwIfAborted` throws (after Ctrl-C): nothing new gets started while undoing. */
  abort(): void {
    this.aborted = true;
  }

  /** Throws when `abort` was called; call before starting anything that must be cleaned up. */
  throwIfAborted(): void {
    if (this.aborted) throw new Error('the bench was interrupted');
  }

  /** Runs every step still registered, newest first; a failing step does not stop the others. */
  async runAll(report: (message: string) => void = () => {}): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        report(`cleanup: ${step.name} failed: ${(error as Error).message}`);
      }
    }
  }
}
