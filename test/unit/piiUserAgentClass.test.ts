import { userAgentClass } from '../../src/pii/userAgentClass';
import { USER_AGENT_CLASSES } from '../../src/schema';

describe('userAgentClass', () => {
  it.each([
    [
      'email_proxy',
      'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
    ],
    ['email_proxy', 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html'],
    ['email_proxy', 'Mozilla/5.0'],
    ['bot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
    ['bot', 'Barracuda Sentinel (EE)'],
    ['bot', 'curl/8.4.0'],
    ['bot', 'python-requests/2.31.0'],
    [
      'bot',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0',
    ],
    [
      'tablet',
      'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    ],
    [
      'tablet',
      'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    ],
    [
      'mobile',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    ],
    [
      'mobile',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
    ],
    [
      'desktop',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    ],
    ['desktop', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)'],
    ['desktop', 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)'],
    ['unknown', 'Yahoo!-Mail-Feedback/2.0'],
    ['unknown', ''],
    ['unknown', '   '],
  ])('classes as %s: %s', (cls, ua) => {
    expect(userAgentClass(ua)).toBe(cls);
  });

  it('answers one of the closed set, on the first 512 characters only', () => {
    expect(USER_AGENT_CLASSES).toContain(userAgentClass(`${'x'.repeat(600)} iPhone`));
    expect(userAgentClass(`${'x'.repeat(600)} iPhone`)).toBe('unknown');
    expect(userAgentClass(`iPhone ${'x'.repeat(1 << 20)}`)).toBe('mobile');
  });
});
