// The element, for tutorial pages: one file to include.
//   <script type="module" src="attn-scope.js"></script>
//   <attn-scope text="..." view="lines" layer="2" head="1"></attn-scope>
// Defines <attn-scope> (once, even if included twice) and nothing else global.
import { AttnScope } from './element.js';

if (!customElements.get('attn-scope')) customElements.define('attn-scope', AttnScope);
