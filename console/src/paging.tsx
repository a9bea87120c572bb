/** Paging through a list RPC: the tokens of the pages seen (to go back), and the buttons. */
import { Button, Space } from 'antd';
import { useCallback, useState } from 'react';
import { useWords } from './i18n';

export interface Pages {
  /** The page token to ask for now ('' = the first page). */
  token: string;
  /** The answer's next page token ('' = the last page). */
  next: string;
  setNext(next: string): void;
  /** Back to the first page (after a filter changed). */
  reset(): void;
  back?(): void;
  forward?(): void;
}

export function usePages(): Pages {
  const [tokens, setTokens] = useState<string[]>(['']);
  const [next, setNext] = useState('');
  const reset = useCallback(() => setTokens(['']), []);
  return {
    token: tokens[tokens.length - 1]!,
    next,
    setNext,
    reset,
    back: tokens.length > 1 ? () => setTokens(tokens.slice(0, -1)) : undefined,
    forward: next ? () => setTokens([...tokens, next]) : undefined,
  };
}

export function Pager({ pages }: { pages: Pages }) {
  const { t } = useWords();
  return (
    <Space style={{ marginTop: 16 }}>
      <Button aria-label="‹" disabled={!pages.back} onClick={pages.back}>
        ‹
      </Button>
      <Button disabled={!pages.forward} onClick={pages.forward}>
        {t('next')}
      </Button>
    </Space>
  );
}
