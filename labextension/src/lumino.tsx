/**
 * Host a Lumino widget (an output area, a code editor) inside React.
 */
import { Widget } from '@lumino/widgets';
import * as React from 'react';

/**
 * Attach `widget` to a div rendered by React.
 *
 * Layout effects: the widget is detached while its host is still in the
 * document (React removes the DOM of an unmounted tree before its passive
 * effects run, and Lumino refuses to detach a widget whose node is gone).
 * The owner disposes the widget afterwards.
 */
export function LuminoHost(props: {
  widget: Widget;
  className?: string;
  testId?: string;
}): JSX.Element {
  const ref = React.useRef<HTMLDivElement>(null);
  const { widget } = props;
  React.useLayoutEffect(() => {
    const host = ref.current;
    if (!host || widget.isDisposed) {
      return;
    }
    Widget.attach(widget, host);
    return () => {
      if (widget.isAttached && !widget.isDisposed && widget.node.isConnected) {
        Widget.detach(widget);
      }
    };
  }, [widget]);
  return (
    <div ref={ref} className={props.className} data-testid={props.testId} />
  );
}
