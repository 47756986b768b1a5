// Opening a person's card from anywhere (a message's avatar, the directory, a group's members):
// an event that the shell listens to, so that no component needs to hold the card itself.

export const OPEN_PERSON_EVENT = "magpie:open-person";

export function openPersonCard(account: string): void {
  window.dispatchEvent(new CustomEvent<string>(OPEN_PERSON_EVENT, { detail: account }));
}
