import { type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { type Path, pathToString, type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Refuses a request message holding a string that is not valid UTF-8 — an
 * ill-formed string: what connect-patches/protobuf-utf8.ts decodes such bytes
 * to, or a lone surrogate sent as a JSON escape — with INVALID_ARGUMENT naming
 * the field (`key`, `metadata["owner"]`, `requests[3].key`), before
 * authentication and validation, whatever the protocol. Streamed request
 * messages are checked one by one.
 */
export function validUtf8(): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) {
      refuseNotUtf8(req.method.input, req.message);
      return next(req);
    }
    const input = req.method.input;
    const messages = req.message;
    return next({
      ...req,
      message: (async function* () {
        for await (const message of messages) {
          refuseNotUtf8(input, message);
          yield message;
        }
      })(),
    });
  };
}

function refuseNotUtf8(desc: DescMessage, message: Message): void {
  const problem = findNotUtf8(reflect(desc, message), []);
  if (problem) throw new ConnectError(problem, Code.InvalidArgument);
}

/** "<field path>: …" for the first string field (or map key) that is not well-formed, depth first. */
function findNotUtf8(message: ReflectMessage, path: Path): string | undefined {
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    path.push(field);
    let found: string | undefined;
    switch (field.fieldKind) {
      case "scalar":
        if (field.scalar === ScalarType.STRING && !(message.get(field) as string).isWellFormed()) found = notUtf8(path);
        break;
      case "message":
        found = findNotUtf8(message.get(field), path);
        break;
      case "list": {
        let index = 0;
        for (const item of message.get(field)) {
          path.push({ kind: "list_sub", index: index++ });
          if (field.listKind === "message") found = findNotUtf8(item as ReflectMessage, path);
          else if (typeof item === "string" && !item.isWellFormed()) found = notUtf8(path);
          path.pop();
          if (found) break;
        }
        break;
      }
      case "map":
        for (const [key, value] of message.get(field)) {
          if (typeof key === "string" && !key.isWellFormed()) {
            found = `${pathToString(path)}: has a key that is not valid UTF-8`;
            break;
          }
          path.push({ kind: "map_sub", key: key as string | number | bigint | boolean });
          if (field.mapKind === "message") found = findNotUtf8(value as ReflectMessage, path);
          else if (typeof value === "string" && !value.isWellFormed()) found = notUtf8(path);
          path.pop();
          if (found) break;
        }
        break;
    }
    path.pop();
    if (found) return found;
  }
  return undefined;
}

function notUtf8(path: Path): string {
  return `${pathToString(path)}: is not valid UTF-8`;
}
