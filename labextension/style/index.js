import '@xyflow/react/dist/style.css';
import './base.css';
import './nodes.css';
import './notebook.css';
import './panel.css';
import './projects.css';
