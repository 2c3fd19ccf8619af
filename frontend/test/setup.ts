// Runs before every test file: the dashboard's client captures `fetch` when it is created, so the
// fake API is installed first (see test/fake-api.ts).
import { installFakeApi } from "./fake-api";

installFakeApi();
