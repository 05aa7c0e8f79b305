/** "ab12cd…" (64 hex digits) -> "AB:12:CD:…", the way certificate viewers show it, for comparing. */
export function groupFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/.{1,2}/g) ?? []).join(':');
}
