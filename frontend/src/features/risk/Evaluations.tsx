export function Evaluations() {
  return null;
}
