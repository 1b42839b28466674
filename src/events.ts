// Components declare the names of the events they emit; listeners receive `{type, timestamp, payload}`.

export interface OxbowEvent<T extends string = string, P = unknown> {
  type: T;
  timestamp: number;
  payload: P;
}

export type Listener<E extends OxbowEvent> = (event: E) => void;

/** A minimal typed emitter: `Events` maps each declared event name to its payload type. */
export class EventEmitterOf<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<OxbowEvent<string, unknown>>>>();

  on<K extends keyof Events & string>(type: K, listener: Listener<OxbowEvent<K, Events[K]>>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener<OxbowEvent<string, unknown>>);
    return () => set.delete(listener as Listener<OxbowEvent<string, unknown>>);
  }

  protected emit<K extends keyof Events & string>(type: K, payload: Events[K]): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    const event = { type, timestamp: Date.now(), payload };
    for (const listener of set) listener(event);
  }
}
