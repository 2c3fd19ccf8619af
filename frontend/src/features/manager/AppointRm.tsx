export function AppointRm() {
  return null;
}
