/**
 * Markdown and LaTeX to plain text, for node titles (pure).
 *
 * Titles come from a cell's first heading or line: `**Fit** the $\phi_k$
 * [model](url)` reads "Fit the φ_k model" on the canvas.
 */

const GREEK: { [name: string]: string } = {
  alpha: 'α',
  beta: 'β',
  gamma: 'γ',
  delta: 'δ',
  epsilon: 'ε',
  varepsilon: 'ε',
  zeta: 'ζ',
  eta: 'η',
  theta: 'θ',
  vartheta: 'ϑ',
  iota: 'ι',
  kappa: 'κ',
  lambda: 'λ',
  mu: 'μ',
  nu: 'ν',
  xi: 'ξ',
  pi: 'π',
  rho: 'ρ',
  sigma: 'σ',
  tau: 'τ',
  upsilon: 'υ',
  phi: 'φ',
  varphi: 'φ',
  chi: 'χ',
  psi: 'ψ',
  omega: 'ω',
  Gamma: 'Γ',
  Delta: 'Δ',
  Theta: 'Θ',
  Lambda: 'Λ',
  Xi: 'Ξ',
  Pi: 'Π',
  Sigma: 'Σ',
  Phi: 'Φ',
  Psi: 'Ψ',
  Omega: 'Ω'
};

const SYMBOLS: { [name: string]: string } = {
  times: '×',
  cdot: '·',
  pm: '±',
  leq: '≤',
  le: '≤',
  geq: '≥',
  ge: '≥',
  neq: '≠',
  ne: '≠',
  approx: '≈',
  sim: '~',
  infty: '∞',
  to: '→',
  rightarrow: '→',
  leftarrow: '←',
  in: '∈',
  sum: 'Σ',
  prod: 'Π',
  partial: '∂',
  nabla: '∇',
  sqrt: '√',
  ldots: '…',
  dots: '…',
  cdots: '…',
  mid: '|',
  ell: 'ℓ',
  hat: '',
  bar: '',
  tilde: '',
  mathrm: '',
  mathbf: '',
  mathcal: '',
  mathbb: '',
  text: '',
  textrm: '',
  operatorname: '',
  left: '',
  right: '',
  quad: ' ',
  qquad: ' '
};

/**
 * A LaTeX fragment (the inside of `$…$`) as readable text: Greek letters and
 * common symbols as Unicode, commands without an equivalent and braces
 * dropped (`\hat{\beta}_{k}` → `β_k`).
 */
export function latexToText(tex: string): string {
  return tex
    .replace(/\\([A-Za-z]+)/g, (_, name: string) =>
      name in GREEK ? GREEK[name] : name in SYMBOLS ? SYMBOLS[name] : name
    )
    .replace(/\\[,;:! ]/g, ' ')
    .replace(/\\(.)/g, '$1')
    .replace(/[{}]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * One line of markdown as plain text: math as `latexToText`, links and
 * images by their text, HTML tags, emphasis, code ticks and heading marks
 * removed, entities decoded, spaces collapsed.
 */
export function markdownToText(markdown: string): string {
  let text = markdown ?? '';
  text = text.replace(/\$\$([^$]*)\$\$/g, (_, tex: string) => latexToText(tex));
  text = text.replace(/\$([^$\n]+)\$/g, (_, tex: string) => latexToText(tex));
  text = text.replace(/\\\(([^]*?)\\\)/g, (_, tex: string) => latexToText(tex));
  text = text.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1');
  text = text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  text = text.replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1');
  text = text.replace(/<\/?[A-Za-z][^>]*>/g, '');
  text = text.replace(/^\s{0,3}#{1,6}\s+/, '').replace(/\s+#+\s*$/, '');
  text = text.replace(/^\s*(?:[-*+>]|\d+[.)])\s+/, '');
  text = text.replace(/(\*\*|__)(?=\S)([^]*?\S)\1/g, '$2');
  text = text.replace(/(^|[^\w*])[*_](?=\S)([^*_]*?\S)[*_](?!\w)/g, '$1$2');
  text = text.replace(/~~(.*?)~~/g, '$1');
  text = text.replace(/`+([^`]*)`+/g, '$1');
  text = text
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return text.replace(/\s+/g, ' ').trim();
}
