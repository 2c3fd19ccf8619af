export function Handover({ id }: { id: string }) {
  return <p>{id}</p>;
}
