// Lightbox for the gallery: a click on a photo shows it large in a <dialog>; the arrow keys
// or buttons step through the photos, Escape or the close button returns to the page.
// The large view reuses the thumbnail's URL, so it costs no extra download, and the dialog
// is built on the first click, so the page holds no empty <img> until then.
(() => {
  const links = Array.from(document.querySelectorAll('a[data-lightbox]'));
  let current = 0;
  let lightbox = null;

  const button = (className, label, text, onClick) => {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = className;
    element.setAttribute('aria-label', label);
    element.textContent = text;
    element.addEventListener('click', onClick);
    return element;
  };

  const build = () => {
    const dialog = document.createElement('dialog');
    dialog.className = 'lightbox';
    const figure = document.createElement('figure');
    const image = document.createElement('img');
    const caption = document.createElement('figcaption');
    figure.append(image, caption);
    dialog.append(
      figure,
      button('lightbox-prev', 'Previous photo', '‹', () => show(current - 1)),
      button('lightbox-next', 'Next photo', '›', () => show(current + 1)),
      button('lightbox-close', 'Close', '×', () => dialog.close()),
    );
    dialog.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowLeft') show(current - 1);
      if (event.key === 'ArrowRight') show(current + 1);
    });
    // A click on the backdrop (outside the dialog's box) closes it.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
    document.body.append(dialog);
    return { dialog, image, caption };
  };

  const show = (index) => {
    current = (index + links.length) % links.length;
    const link = links[current];
    const thumb = link.querySelector('img');
    const text = link.closest('figure')?.querySelector('figcaption');
    lightbox.image.src = link.href;
    lightbox.image.alt = thumb ? thumb.alt : '';
    lightbox.caption.textContent = text ? text.textContent.trim().replace(/\s+/g, ' ') : '';
  };

  links.forEach((link, index) => {
    link.addEventListener('click', (event) => {
      // Let modified clicks (new tab, download) behave as plain links.
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      lightbox ??= build();
      show(index);
      lightbox.dialog.showModal();
    });
  });
})();
