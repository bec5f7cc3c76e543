import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./temp-dir.js";

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Files of a client certificate signed by the CA, subject CN=<cn>. */
  client(cn: string): { cert: string; key: string };
  /** A client certificate signed by another, untrusted CA. */
  rogueClient(cn: string): { cert: string; key: string };
}

/** A throw-away PKI made with the openssl CLI (EC P-256, one day), removed at exit. */
export function makePki(): TestPki {
  const dir = tempDir("presignd-pki-");
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const key = (name: string) =>
    ssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  const ca = (name: string) => {
    key(name);
    ssl("req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-days", "1", "-out", `${name}.crt`);
  };
  const leaf = (name: string, cn: string, issuer: string, ext: string) => {
    key(name);
    ssl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${issuer}.crt`,
      "-CAkey",
      `${issuer}.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  ca("test-ca");
  ca("rogue-ca");
  const server = leaf(
    "server",
    "presignd.test",
    "test-ca",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  return {
    dir,
    caCert: join(dir, "test-ca.crt"),
    serverCert: server.cert,
    serverKey: server.key,
    client: (cn) => leaf(`client-${cn}`, cn, "test-ca", "extendedKeyUsage=clientAuth\n"),
    rogueClient: (cn) => leaf(`rogue-${cn}`, cn, "rogue-ca", "extendedKeyUsage=clientAuth\n"),
  };
}

export const pem = (file: string) => readFileSync(file);
