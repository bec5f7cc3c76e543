/**
 * The messages of a server stream, unchanged, with `end` told once how the
 * stream ended: `undefined` when it ran out, the error it failed with
 * otherwise (what `end` returns is thrown instead, when it returns an
 * error), and `"abandoned"` when the consumer stopped reading (the call was
 * cancelled). Interceptors use it for what happens at a stream's end.
 */
export async function* onStreamEnd<T>(
  messages: AsyncIterable<T>,
  end: (outcome: unknown) => unknown,
): AsyncIterable<T> {
  let outcome: unknown = "abandoned";
  try {
    yield* messages;
    outcome = undefined;
  } catch (error) {
    outcome = error;
    const replaced = end(error);
    outcome = "told";
    throw replaced instanceof Error ? replaced : error;
  } finally {
    if (outcome !== "told") end(outcome);
  }
}
