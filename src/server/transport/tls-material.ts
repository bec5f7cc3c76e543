import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError, type ServerConfig } from "../config/config.js";
import type { TlsOptions } from "./listen.js";

const CERT = "--tls-cert (PRESIGND_TLS_CERT)";
const KEY = "--tls-key (PRESIGND_TLS_KEY)";
const CLIENT_CA = "--tls-client-ca (PRESIGND_TLS_CLIENT_CA)";

/**
 * Reads and checks the TLS files at start: each unreadable file, PEM that is
 * not a certificate or key, or a key that is not the certificate's is one
 * line naming its setting — not an OpenSSL error from deep in the server.
 */
export async function loadTlsMaterial(tls: NonNullable<ServerConfig["tls"]>): Promise<TlsOptions> {
  const cert = await read(tls.certFile, CERT);
  const key = await read(tls.keyFile, KEY);
  const clientCa = tls.clientCaFile ? await read(tls.clientCaFile, CLIENT_CA) : undefined;
  const certificate = parseCertificate(cert, tls.certFile, CERT);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new ConfigError(`${KEY}: ${tls.keyFile} is not a PEM private key (${reason(error)})`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${KEY}: ${tls.keyFile} is not the private key of the certificate in ${tls.certFile}`);
  }
  if (clientCa && tls.clientCaFile) parseCertificate(clientCa, tls.clientCaFile, CLIENT_CA);
  return { cert, key, ...(clientCa ? { clientCa } : {}) };
}

async function read(file: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${reason(error)}`);
  }
}

function parseCertificate(pem: Buffer, file: string, setting: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new ConfigError(`${setting}: ${file} is not a PEM certificate (${reason(error)})`);
  }
}

function reason(error: unknown): string {
  return (error as Error).message?.split("\n")[0] || String(error);
}
