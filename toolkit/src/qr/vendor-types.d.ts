// Minimal typings for the two CommonJS packages the QR code uses that ship none; only the
// members the toolkit calls are declared.

declare module "qrcode" {
  interface QRCodeRenderOptions {
    type?: "terminal" | "utf8" | "svg" | "png";
    errorCorrectionLevel?: "L" | "M" | "Q" | "H";
    small?: boolean;
    margin?: number;
    scale?: number;
    width?: number;
  }
  interface QRCodeModules {
    size: number;
    data: Uint8Array;
  }
  interface QRCodeCreated {
    version: number;
    modules: QRCodeModules;
  }
  const QRCode: {
    toString(text: string, options?: QRCodeRenderOptions): Promise<string>;
    toBuffer(text: string, options?: QRCodeRenderOptions): Promise<Buffer>;
    create(text: string, options?: QRCodeRenderOptions): QRCodeCreated;
  };
  export = QRCode;
}

declare module "pngjs" {
  interface DecodedPng {
    width: number;
    height: number;
    data: Buffer;
  }
  const pngjs: {
    PNG: {
      sync: {
        read(buffer: Buffer): DecodedPng;
      };
    };
  };
  export = pngjs;
}
