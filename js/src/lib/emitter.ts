/** A tiny typed event emitter. `on` returns the unsubscribe function. */
export class Emitter<E extends { [K in keyof E]: unknown }> {
  private handlers = new Map<keyof E, Set<(v: never) => void>>();

  on<K extends keyof E>(name: K, fn: (value: E[K]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(fn as (v: never) => void);
    return () => this.off(name, fn);
  }

  off<K extends keyof E>(name: K, fn: (value: E[K]) => void): void {
    this.handlers.get(name)?.delete(fn as (v: never) => void);
  }

  emit<K extends keyof E>(name: K, value: E[K]): void {
    const set = this.handlers.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (v: E[K]) => void)(value);
      } catch (err) {
        console.error("hitl_widgets: event handler failed", err);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
