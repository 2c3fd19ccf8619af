// Placeholder until the backend's GET /me/waiting lands (same commit series).
import type { PageId } from "../../state";

export function NavCount(_: { page: PageId }) {
  return null;
}
export function Waiting() {
  return null;
}
