// Short messages at the bottom of the screen: errors of actions, confirmations.
import { useEffect, useState } from "preact/hooks";

export interface Toast { id: number; text: string; kind: "error" | "info" }

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => { for (const l of listeners) l(); };

export function toast(text: string, kind: Toast["kind"] = "error"): void {
  const item = { id: nextId++, text, kind };
  toasts = [...toasts.slice(-3), item];
  emit();
  setTimeout(() => dismissToast(item.id), kind === "error" ? 6000 : 3000);
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function useToasts(): Toast[] {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, []);
  return toasts;
}
