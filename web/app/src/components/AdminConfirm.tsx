// The administration page's "are you sure?": an action waiting for its confirmation, and the
// dialog that asks for it and shows the action's failure as a toast.

import type { JSX } from "preact";
import { useT } from "../i18n/hooks.ts";
import { errorText } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { ConfirmDialog } from "./ui.tsx";

/** An action to confirm: what the dialog says, and what confirming runs. */
export type Confirming = { title: string; text: string; confirm: string; danger?: boolean; run: () => Promise<unknown> } | null;

export function Confirm({ confirming, onClose }: { confirming: Confirming; onClose: () => void }): JSX.Element | null {
  const { t } = useT();
  if (!confirming) return null;
  return (
    <ConfirmDialog title={confirming.title} text={confirming.text} confirm={confirming.confirm} danger={confirming.danger} onClose={onClose}
      onConfirm={async () => { try { await confirming.run(); } catch (e) { toast(errorText(e, t)); } }} />
  );
}
