import { LabIcon } from '@jupyterlab/ui-components';

const dagSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="9" y="2" width="6" height="5" rx="1"/>
    <rect x="2" y="16" width="6" height="5" rx="1"/>
    <rect x="16" y="16" width="6" height="5" rx="1"/>
    <path d="M11.25 7h1.5v3.25H19a.75.75 0 0 1 .75.75v5h-1.5v-4.25H5.75V16h-1.5v-5a.75.75 0 0 1 .75-.75h6.25z"/>
  </g>
</svg>`;

/**
 * Icon of the DAG view.
 */
export const dagIcon = new LabIcon({
  name: 'notebook-dag:dag',
  svgstr: dagSvg
});

const clockSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z"/>
    <path d="M12.75 7h-1.5v5.6l4.4 2.64.75-1.23-3.65-2.17z"/>
  </g>
</svg>`;

/**
 * Icon of "Schedule…" (a clock).
 */
export const clockIcon = new LabIcon({
  name: 'notebook-dag:clock',
  svgstr: clockSvg
});
