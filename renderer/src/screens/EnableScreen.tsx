export function EnableScreen() {
  return null;
}
