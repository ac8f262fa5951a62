import { InputNumber, type InputNumberProps } from 'antd';
import { useI18n } from './i18n';

/**
 * A number field with a fractional part, in the reader's habit: «7,5» in Russian, "7.5" in English
 * (the value stays a number; both separators are accepted while typing).
 */
export function DecimalInput(props: InputNumberProps<number>) {
  const { lang } = useI18n();
  return (
    <InputNumber<number>
      decimalSeparator={lang === 'ru' ? ',' : '.'}
      parser={(text) => Number((text ?? '').replace(/[\s\u00a0%]/g, '').replace(',', '.'))}
      {...props}
    />
  );
}
