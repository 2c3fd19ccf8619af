// Owned by the risk-officer feature: the flag list, a flag, raise / acknowledge / resolve.
export function Flags() {
  return null;
}
export function FlagDetail({ id }: { id: string }) {
  return <p>{id}</p>;
}
