import { render } from "preact";
import { App } from "./app.tsx";
import { applyDocumentLang } from "./i18n/index.ts";
import { applyTheme, followSystemTheme } from "./state/theme.ts";
import "./styles/app.css";

applyDocumentLang();
applyTheme();
followSystemTheme();
render(<App />, document.getElementById("app")!);
