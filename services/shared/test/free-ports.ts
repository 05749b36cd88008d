/**
 * Ports for test servers, picked by the OS. One helper for every suite that needs one: the
 * PostgreSQL cluster, child API processes, the console and the main job.
 */
import { createServer } from "node:net";

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `count` distinct ports that were free a moment ago. All stay bound until the last is picked:
 * asked one at a time, the OS may hand the same just-closed port out twice, and two services of
 * one test then collide (seen: the Tezos sandbox and the signer both on one port).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            // A probe never keeps the process alive on its own.
            server.unref();
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
              const address = server.address();
              if (typeof address === "object" && address) resolve(address.port);
              else reject(new Error("the OS answered no port"));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}
