/**
 * Decoding of the logs a vote proxy emits. `Voted(bytes32 indexed slate)` is anonymous (decision
 * 0010: the clone's fast path logs it with LOG1 alone), so its only topic is the slate and ethers'
 * `Interface.parseLog`, which matches events by topic0, never finds it.
 */
import { LogDescription, id, type Interface } from "ethers";

/**
 * `event Voted(bytes32 indexed slate) anonymous` as a JSON fragment: ethers 6's human-readable parser
 * does not know the `anonymous` keyword (it warns and drops the whole fragment).
 */
export const VOTED_EVENT = Object.freeze({
  type: "event",
  name: "Voted",
  anonymous: true,
  inputs: [{ type: "bytes32", name: "slate", indexed: true }],
});

/** topic0 of `ChiefIouApproved()`: the proxy's only other event with one topic and no data. */
const CHIEF_IOU_APPROVED_TOPIC = id("ChiefIouApproved()");

/** The part of a log that decoding reads. */
export interface ProxyLogLike {
  readonly topics: readonly string[];
  readonly data: string;
}

/**
 * Whether a log emitted BY A PROXY is the anonymous `Voted(slate)`: exactly one topic (the slate),
 * empty data, and not `ChiefIouApproved()`. Meaningful only for logs whose address is a known proxy:
 * any contract can emit a LOG1 with empty data.
 */
export function isAnonymousVoted(log: ProxyLogLike): boolean {
  return (
    log.topics.length === 1 && log.data === "0x" && log.topics[0]!.toLowerCase() !== CHIEF_IOU_APPROVED_TOPIC
  );
}

/**
 * Decodes a log emitted by a known proxy against `iface`, which must declare {@link VOTED_EVENT}; the
 * anonymous `Voted` is recognised by its shape,
 * every other event by its topic0.
 *
 * @returns the decoded event, or null when it is none of `iface`'s events.
 * @throws {Error} when `iface` has no `Voted` event, or (from ethers) when a log's topic0 names one
 * of `iface`'s events but its data does not decode as that event.
 * @example parseProxyLog(proxyInterface, log)?.name // "Voted"
 */
export function parseProxyLog(iface: Interface, log: ProxyLogLike): LogDescription | null {
  const topics = [...log.topics];
  if (isAnonymousVoted(log)) {
    const fragment = iface.getEvent("Voted");
    if (fragment === null) throw new Error("the interface declares no Voted event");
    return new LogDescription(fragment, fragment.topicHash, iface.decodeEventLog(fragment, log.data, topics));
  }
  return iface.parseLog({ topics, data: log.data });
}
