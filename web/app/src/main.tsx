import { render } from "preact";
import { App } from "./app.tsx";
import { applyDocumentLang } from "./i18n/index.ts";
import "./styles/app.css";

applyDocumentLang();
render(<App />, document.getElementById("app")!);
