// Placeholder until the SDK lands: the types of the contract, and entry points that the SDK
// implementation replaces. The web app is written against these signatures.
export type * from "./contract.ts";
import type { ChatClient, KeyValueStorage } from "./contract.ts";

export function login(
  _baseUrl: string, _account: string, _password: string,
  _opts?: { device?: string; storage?: KeyValueStorage },
): Promise<ChatClient> {
  throw new Error("not implemented yet");
}
export function register(
  _baseUrl: string, _account: string, _password: string,
  _opts?: { displayName?: string; device?: string; storage?: KeyValueStorage },
): Promise<ChatClient> {
  throw new Error("not implemented yet");
}
export function resume(_baseUrl: string, _storage?: KeyValueStorage): Promise<ChatClient | null> {
  throw new Error("not implemented yet");
}
export function memoryStorage(): KeyValueStorage {
  throw new Error("not implemented yet");
}
export function browserStorage(): KeyValueStorage {
  throw new Error("not implemented yet");
}
