import { render } from "preact";

render(<p>Magpie</p>, document.getElementById("app")!);
