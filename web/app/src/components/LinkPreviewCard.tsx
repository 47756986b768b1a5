// The card under a message that shows what its first link leads to (issue 23): title, site,
// description and image, as the server fetched them (protocol §7.10); the browser never
// contacts the site until the user opens the link.
//
// - Asked for only once the card's place is on screen (the list keeps rows above and below the
//   viewport in the DOM too), and once per link and page load (the SDK remembers answers).
// - A preview already known is drawn at once, so a row scrolled back into view keeps its
//   height; one that arrives while the row is on screen grows in once (an animation of its
//   height), with its image's box reserved from the size the server gave.
// - Nothing at all when the page has no preview or the server's previews are off.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { LinkPreview } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { useClient } from "../state/client.ts";
import { useRowTabIndex } from "../state/rowtab.ts";

/** The side of the image's square, in CSS pixels (the server's thumbnail is at most 256). */
const IMAGE_PX = 64;

export function LinkPreviewCard({ url }: { url: string }): JSX.Element | null {
  const client = useClient();
  const { t } = useT();
  const tab = useRowTabIndex();
  const [preview, setPreview] = useState<LinkPreview | null | undefined>(() => client.linkPreviewKnown(url));
  // Grown in only when it arrived while this card was on screen.
  const [arrived, setArrived] = useState(false);
  const [image, setImage] = useState<string | undefined>(undefined);
  const [imageLoaded, setImageLoaded] = useState(false);
  const place = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    if (preview !== undefined) return;
    let live = true;
    const ask = () => {
      void client.linkPreview(url).then((p) => {
        if (!live) return;
        setArrived(p !== null);
        setPreview(p);
      });
    };
    const el = place.current;
    if (!el || typeof IntersectionObserver === "undefined") { ask(); return () => { live = false; }; }
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      ask();
    });
    observer.observe(el);
    return () => { live = false; observer.disconnect(); };
  }, [url, preview === undefined]);

  const hasImage = preview?.image !== undefined && preview?.image !== null;
  useEffect(() => {
    if (!hasImage) return;
    let live = true;
    client.linkPreviewImageUrl(url).then((u) => { if (live) setImage(u); }, () => { /* the box stays empty */ });
    return () => { live = false; };
  }, [url, hasImage]);

  // Not asked yet or under way: a place without height that tells when it is on screen.
  if (preview === undefined) return <span ref={place} class="link-preview-place" aria-hidden="true" />;
  if (preview === null || (!preview.title && !preview.description)) return null;
  const site = preview.site_name || hostOf(url);
  return (
    <div class={`link-preview-wrap${arrived ? " arrived" : ""}`}>
      <div class="link-preview-clip">
      <a class="link-preview" href={url} target="_blank" rel="noopener noreferrer" tabIndex={tab} data-testid="link-preview"
        title={url}>
        {hasImage && (
          <span class="link-preview-image" style={{ width: `${IMAGE_PX}px`, height: `${IMAGE_PX}px` }}>
            {image && <img src={image} alt="" class={imageLoaded ? "loaded" : ""} onLoad={() => setImageLoaded(true)} />}
          </span>
        )}
        <span class="link-preview-text">
          <span class="link-preview-site">{site}</span>
          {preview.title && <span class="link-preview-title">{preview.title}</span>}
          {preview.description && <span class="link-preview-description">{preview.description}</span>}
          <span class="visually-hidden">{t("msg.opensInNewTab")}</span>
        </span>
      </a>
      </div>
    </div>
  );
}

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}
