// Runs before every test file: the dashboard's client captures `fetch` when it is created, so the
// fake API is installed first (see test/fake-api.ts).
import { installFakeApi } from "./fake-api";

installFakeApi();

// jsdom has no modal dialogs: enough of one for the confirmation of irreversible steps.
if (typeof HTMLDialogElement !== "undefined" && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.open = false;
    this.dispatchEvent(new Event("close"));
  };
}
