import { ToolError } from '../core/errors.js';

/**
 * The timeline as PNG, for places that do not show SVG (Slack). resvg is a native rasteriser that
 * ships prebuilt in its npm package; it is loaded here, on the first picture, so that no other
 * command pays for it at start-up. Text needs a system font (DejaVu Sans on Debian:
 * fonts-dejavu-core); resvg loads the system's fonts itself.
 */
export async function rasterizeSvg(svg: string, scale = 1): Promise<Buffer> {
  const resvg = await import('@resvg/resvg-js').catch((error: Error) => {
    throw new ToolError('unavailable', `cannot draw a PNG: the rasteriser @resvg/resvg-js did not load (${error.message.split('\n')[0]})`, 'install crdb-tls with its dependencies (npm install), or ask for an SVG instead (a file name ending in .svg)');
  });
  const image = await resvg.renderAsync(svg, { fitTo: { mode: 'zoom', value: scale }, background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, logLevel: 'off' });
  return image.asPng();
}
