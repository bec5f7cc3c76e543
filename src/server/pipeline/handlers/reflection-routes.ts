import { type DescFile, type DescService, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type * as v1 from "../../../gen/grpc/reflection/v1/reflection_pb.js";

type Request = v1.ServerReflectionRequest;
type Response = MessageInitShape<typeof v1.ServerReflectionResponseSchema>;
type Answer = NonNullable<Response["messageResponse"]>;

/**
 * gRPC server reflection (v1 and v1alpha share this implementation: their
 * messages are identical) from the registered file descriptors, including
 * their dependencies such as google/protobuf/*.proto.
 */
export function reflectionService(services: readonly DescService[]) {
  const index = new DescriptorIndex(services);
  return {
    async *serverReflectionInfo(requests: AsyncIterable<Request>): AsyncIterable<Response> {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: index.answer(request) };
      }
    },
  };
}

class DescriptorIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly messages = new Set<string>();
  private readonly serviceNames: string[];

  constructor(services: readonly DescService[]) {
    this.serviceNames = services.map((s) => s.typeName);
    for (const service of services) this.addFile(service.file);
  }

  answer(request: Request): Answer {
    const r = request.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename":
        return this.fileResponse(this.files.get(r.value), `file not found: ${r.value}`);
      case "fileContainingSymbol":
        return this.fileResponse(this.symbols.get(r.value), `symbol not found: ${r.value}`);
      case "fileContainingExtension":
        // No file registered here declares extensions.
        return error(Code.NotFound, `extension not found: ${r.value.containingType}(${r.value.extensionNumber})`);
      case "allExtensionNumbersOfType":
        return this.messages.has(r.value)
          ? { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: [] } }
          : error(Code.NotFound, `type not found: ${r.value}`);
      default:
        return error(Code.InvalidArgument, "message_request: set one of the request kinds");
    }
  }

  private fileResponse(file: DescFile | undefined, notFound: string): Answer {
    if (!file) return error(Code.NotFound, notFound.slice(0, 300));
    // The file first, then its transitive dependencies, as grpc-go answers.
    const seen = new Set<DescFile>();
    const visit = (f: DescFile) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const dep of f.dependencies) visit(dep);
    };
    visit(file);
    return {
      case: "fileDescriptorResponse",
      value: { fileDescriptorProto: [...seen].map((f) => toBinary(FileDescriptorProtoSchema, f.proto)) },
    };
  }

  private addFile(file: DescFile): void {
    if (this.files.has(`${file.name}.proto`)) return;
    this.files.set(`${file.name}.proto`, file);
    for (const dep of file.dependencies) this.addFile(dep);
    for (const service of file.services) {
      this.symbols.set(service.typeName, file);
      for (const method of service.methods) this.symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const e of file.enums) this.symbols.set(e.typeName, file);
    for (const ext of file.extensions) this.symbols.set(ext.typeName, file);
    const addMessage = (m: DescFile["messages"][number]) => {
      this.symbols.set(m.typeName, file);
      this.messages.add(m.typeName);
      for (const nested of m.nestedMessages) addMessage(nested);
      for (const e of m.nestedEnums) this.symbols.set(e.typeName, file);
    };
    for (const m of file.messages) addMessage(m);
  }
}

function error(code: Code, message: string): Answer {
  return { case: "errorResponse", value: { errorCode: code, errorMessage: message } };
}
