/**
 * Outbound HTTP under the test's control. Code under test calls other
 * services with fetch; while a test runs, every such call goes to an undici
 * MockAgent (the global dispatcher, which Node's fetch uses) that answers
 * only what the test declared. Anything else never reaches the network: it
 * is refused, noted, and fails the test when close() runs in its afterEach,
 * naming the call — a forgotten fake fails loudly instead of hanging on,
 * or passing through to, a real host.
 */
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher, type MockPool } from 'undici';

/** The interceptor of one test. */
export interface OutboundHttp {
  /** Where to declare what `origin` (e.g. http://users.test) answers: `.intercept({ path, method }).reply(...)`. */
  origin(origin: string): MockPool;
  /** Calls nobody declared, as `METHOD url`. */
  readonly undeclared: string[];
  /** Notes something a stand-in found wrong (e.g. an answer its contract does not allow): close() fails with it. */
  report(problem: string): void;
  /** Puts the previous dispatcher back; throws, naming them, if the test made undeclared calls or a stand-in reported a problem. */
  close(): Promise<void>;
}

/** Routes this process's fetch calls through a fresh MockAgent until close(). */
export function interceptOutboundHttp(): OutboundHttp {
  const previous = getGlobalDispatcher();
  const agent = new MockAgent();
  agent.disableNetConnect();
  const undeclared: string[] = [];
  const reported: string[] = [];
  const note = (options: Dispatcher.DispatchOptions, err: unknown) => {
    if ((err as Error | undefined)?.name === 'MockNotMatchedError') undeclared.push(`${options.method} ${options.origin}${options.path}`);
  };
  // An unmatched call fails through the handler's error callback (either API generation), not by throwing.
  const dispatch = agent.dispatch.bind(agent);
  agent.dispatch = (options, handler) =>
    dispatch(
      options,
      new Proxy(handler, {
        get(target, key) {
          const value = Reflect.get(target, key) as unknown;
          if (typeof value !== 'function') return value;
          if (key === 'onError') return (err: Error) => (note(options, err), value.call(target, err));
          if (key === 'onResponseError')
            return (controller: unknown, err: Error) => (note(options, err), value.call(target, controller, err));
          return value.bind(target);
        },
      }),
    );
  setGlobalDispatcher(agent);
  return {
    origin: (origin) => agent.get(origin),
    undeclared,
    report: (problem) => void reported.push(problem),
    async close() {
      setGlobalDispatcher(previous);
      await agent.close();
      if (undeclared.length > 0) {
        throw new Error(`the test made HTTP calls it did not declare (none reached the network): ${undeclared.join(', ')}`);
      }
      if (reported.length > 0) throw new Error(reported.join('\n'));
    },
  };
}
